"""Form markup that assistive technology relies on: every ``aria-describedby`` names an element of the page."""

from __future__ import annotations

import re

from django import forms
from django.template.loader import render_to_string


def dangling_descriptions(html: str) -> set[str]:
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    described = {name for value in re.findall(r'aria-describedby="([^"]+)"', html) for name in value.split()}
    return described - ids


class HelpedForm(forms.Form):
    year = forms.IntegerField(label="年度", help_text="四位数字")
    file = forms.FileField(label="文件", help_text="Excel 文件")


def test_the_form_template_gives_each_help_text_the_id_the_field_points_at():
    html = render_to_string("web/form.html", {"form": HelpedForm()})
    assert 'aria-describedby="id_year_helptext"' in html and 'id="id_year_helptext"' in html
    assert dangling_descriptions(html) == set()
