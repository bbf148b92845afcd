"""The photo box on /report reads in Chinese whatever the browser's language (the native
file box would say "Choose Files" on an English phone), shows what was chosen, and is
empty again after a report went in."""
from __future__ import annotations

import pytest

from ..browser import assert_accessible, screenshot
from ..phone_support import photo_file
from .test_phone_report import HERE, at, report_here

pytest_plugins = ["tests.browser"]


@pytest.mark.browser
def test_photo_box_speaks_chinese_on_an_english_phone(live_server, open_context):
    page = open_context({**at(HERE), "locale": "en-US"})
    page.goto(f"{live_server}/report")
    box = page.locator("#report-form .file-box")
    assert box.inner_text().split() == ["拍照或选择照片", "未选择照片"]
    shots = [photo_file(name="门口.png"), photo_file(seed=2, name="楼道.png")]
    page.set_input_files("input[name=photos]", shots)
    assert page.inner_text("#report-form .file-names") == "已选 2 张：门口.png、楼道.png"
    screenshot(page, "report-photo-box-en-phone")
    assert_accessible(page)
    # After the report went in, the form is ready for the next one.
    report_here(page, live_server, "消防通道被电动车堵住", shots[0])
    assert page.inner_text("#report-form .file-names") == "未选择照片"

