"""The password policy: at least 8 characters from at least 3 of 4 classes."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from xingji.accounts.validators import CharacterClassValidator, character_classes


@pytest.mark.parametrize(
    ("password", "classes"),
    [
        ("abcdefgh", 1),
        ("abcd1234", 2),
        ("Abcd1234", 3),
        ("Abcd123!", 4),
        ("党建abcd12", 3),
    ],
)
def test_it_counts_character_classes(password, classes):
    assert len(character_classes(password)) == classes


@pytest.mark.parametrize("password", ["Abcd1234", "abcd12!!", "ABCD-xyz", "Zz9-Zz9-"])
def test_it_accepts_three_classes(password):
    assert CharacterClassValidator().validate(password) is None


@pytest.mark.parametrize("password", ["abcdefgh", "abcd1234", "ABCDabcd", "!!!!1234"])
def test_it_refuses_fewer_than_three_classes(password):
    with pytest.raises(ValidationError) as error:
        CharacterClassValidator().validate(password)

    assert error.value.code == "password_too_few_character_classes"


def test_it_reads_the_number_of_classes_from_the_settings(settings):
    settings.XINGJI_PASSWORD_MIN_CLASSES = 4

    with pytest.raises(ValidationError):
        CharacterClassValidator().validate("Abcd1234")
    assert CharacterClassValidator().validate("Abcd123!") is None
    assert CharacterClassValidator(min_classes=2).validate("abcd1234") is None


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("Ab1!xyz", False),  # 7 characters
        ("Ab1!xyzw", True),
        ("xingji2026", False),  # 2 classes
        ("Password1", False),  # a common password
    ],
)
def test_it_applies_the_whole_policy_of_the_settings(password, accepted):
    if accepted:
        assert validate_password(password) is None
    else:
        with pytest.raises(ValidationError):
            validate_password(password)
