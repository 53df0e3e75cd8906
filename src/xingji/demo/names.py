"""Chinese personal names for the demo, drawn from common surnames and given-name characters.

The surnames are weighted roughly by how common they are in Henan (王, 李,
张 and 刘 alone make up about a third of the population); the given-name
characters and the common given names differ by gender. Names are invented: any resemblance to a real
person is a coincidence of common names.
"""

from __future__ import annotations

import random

# (surname, relative weight)
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 90), ("李", 85), ("张", 80), ("刘", 70), ("陈", 35), ("杨", 35), ("赵", 30), ("郭", 28),
    ("孙", 22), ("马", 22), ("周", 20), ("吴", 18), ("徐", 16), ("朱", 16), ("胡", 15), ("高", 15),
    ("何", 10), ("宋", 12), ("郑", 12), ("韩", 10), ("冯", 10), ("董", 9), ("程", 9), ("曹", 8),
    ("袁", 8), ("许", 9), ("邓", 6), ("田", 8), ("任", 7), ("范", 7), ("贾", 7), ("魏", 7),
    ("崔", 6), ("苏", 6), ("吕", 6), ("丁", 6), ("史", 6), ("侯", 6), ("常", 5), ("牛", 5),
    ("杜", 5), ("付", 5), ("梁", 5), ("谢", 4), ("姚", 4), ("秦", 4), ("申", 4), ("路", 4),
    ("岳", 3), ("孟", 4), ("耿", 3), ("卢", 3), ("翟", 3), ("靳", 3), ("焦", 3), ("聂", 2),
)

MALE_GIVEN = (
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞",
    "鑫", "波", "宁", "浩", "凯", "健", "俊", "帆", "帅", "旭", "宇", "亮", "建", "国", "志", "文",
    "博", "林", "峰", "晨", "阳", "东", "海", "永", "振", "卫", "新", "红", "庆", "民", "学", "昊",
)
FEMALE_GIVEN = (
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "婷", "雪", "慧", "莉", "萍", "红",
    "洁", "琳", "颖", "倩", "晶", "璐", "瑶", "佳", "欣", "悦", "梅", "兰", "雯", "丹", "春", "秀",
    "文", "蕾", "月", "晓", "琪", "蓉", "彤", "宁", "淑", "华", "英", "娅", "楠", "露", "思",
)

MALE_GIVEN_NAMES = (
    "建国", "卫东", "志强", "海涛", "晓东", "国庆", "建华", "永刚", "文斌", "红军", "振华", "新民",
    "俊杰", "浩然", "子豪", "宇航", "明辉", "建军", "志刚", "海波", "晓峰", "立新", "伟民", "学军",
    "鹏飞", "家乐", "一鸣", "思远", "天宇", "博文", "新华", "长青", "保国", "跃进", "军辉", "松涛",
)
FEMALE_GIVEN_NAMES = (
    "秀英", "桂兰", "玉梅", "淑华", "丽娟", "晓燕", "海燕", "红梅", "春花", "雪梅", "丽华", "静怡",
    "欣怡", "梦瑶", "雨涵", "思琪", "佳慧", "晓丽", "美玲", "婷婷", "丹丹", "亚楠", "晓静", "文静",
    "小红", "玉兰", "秀芳", "凤英", "莉莉", "艳红", "晶晶", "慧敏", "雅琪", "可欣", "梓涵", "一诺",
)

_SURNAME_CHOICES = [surname for surname, _ in SURNAMES]
_SURNAME_WEIGHTS = [weight for _, weight in SURNAMES]


def person_name(rng: random.Random, *, female: bool) -> str:
    """A surname and a given name of one character or (more often) two."""
    surname = rng.choices(_SURNAME_CHOICES, weights=_SURNAME_WEIGHTS)[0]
    draw = rng.random()
    if draw < 0.3:
        return surname + rng.choice(FEMALE_GIVEN if female else MALE_GIVEN)
    if draw < 0.8:
        return surname + rng.choice(FEMALE_GIVEN_NAMES if female else MALE_GIVEN_NAMES)
    # A less common two-character name: two different characters of the gender's list.
    first, second = rng.sample(FEMALE_GIVEN if female else MALE_GIVEN, 2)
    return surname + first + second
