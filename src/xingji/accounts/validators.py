"""Password rules beyond Django's own validators."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError

CHARACTER_CLASSES = ("小写字母", "大写字母", "数字", "其他符号")


def character_classes(password: str) -> set[str]:
    """The classes of characters a password uses: lower case, upper case, digits, others.

    Letters outside ASCII (Chinese characters) count as "others".
    """
    found = set()
    for character in password:
        if "a" <= character <= "z":
            found.add(CHARACTER_CLASSES[0])
        elif "A" <= character <= "Z":
            found.add(CHARACTER_CLASSES[1])
        elif "0" <= character <= "9":
            found.add(CHARACTER_CLASSES[2])
        else:
            found.add(CHARACTER_CLASSES[3])
    return found


class CharacterClassValidator:
    """A password must mix at least ``min_classes`` of the four character classes.

    ``min_classes`` comes from the validator's OPTIONS, or else from the
    setting ``XINGJI_PASSWORD_MIN_CLASSES`` (default 3, as 等保 2.0 practice
    asks), read when a password is validated.
    """

    def __init__(self, min_classes: int | None = None):
        self._min_classes = min_classes

    @property
    def min_classes(self) -> int:
        if self._min_classes is not None:
            return self._min_classes
        return getattr(settings, "XINGJI_PASSWORD_MIN_CLASSES", 3)

    def validate(self, password: str, user=None) -> None:
        used = len(character_classes(password))
        if used < self.min_classes:
            raise ValidationError(
                "密码应至少包含大写字母、小写字母、数字、其他符号中的 %(min_classes)d 类（现在只有 %(used)d 类）。",
                code="password_too_few_character_classes",
                params={"min_classes": self.min_classes, "used": used},
            )

    def get_help_text(self) -> str:
        return f"密码应至少包含大写字母、小写字母、数字、其他符号中的 {self.min_classes} 类。"
