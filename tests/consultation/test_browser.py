"""Consultation done whole in Chromium, as its people do it, checked by the next person.

- A member of the public scans the QR code of a topic (the test decodes the QR image the
  supervisor's page shows and opens the URL it encodes) and gives an opinion on a phone;
  the supervisor then sees it with the name, the public page without.
- A community supervisor opens a topic and takes it through all six steps at a desk, with
  an attachment, participants and a follow-up task, and reports back; the public page then
  shows the outcome, and the wall's topics layer has it as reported.
"""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from ..browser import PHONE, assert_accessible, screenshot
from .support import fresh_window, login, open_topic, png

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser


def qr_url(page) -> str:
    """The URL the QR code on the page encodes, read from its pixels as a phone would."""
    shot = page.locator("#topic-qr").screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert found, "no QR code could be read from the page"
    return found[0].text


def test_the_public_gives_an_opinion_through_the_qr_link(
    live_server, strict_page, open_context, client, as_user, engine
):
    topic = open_topic(client, as_user("community_sup"), title="小区停车位规划").get_json()
    login(strict_page, live_server, "community_sup", f"/topics/{topic['id']}")
    strict_page.wait_for_function(
        "() => document.getElementById('topic-qr').complete && "
        "document.getElementById('topic-qr').naturalWidth > 0"
    )
    url = qr_url(strict_page)
    assert url == f"{live_server}/t/{topic['public_token']}"

    fresh_window(engine)
    phone = open_context(PHONE)
    phone.goto(url)
    assert phone.locator("h1").inner_text() == "小区停车位规划"
    phone.fill("textarea[name=body]", "建议把东侧空地改成停车位")
    phone.fill("input[name=name]", "孙居民")
    phone.fill("input[name=contact]", "13700001111")
    phone.click("button[type=submit]")
    phone.get_by_text("感谢您的意见").wait_for()
    assert_accessible(phone)
    screenshot(phone, "consultation-public-opinion-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    # The next resident sees the opinion, never the name or number.
    other = open_context(PHONE)
    other.goto(url)
    body = other.locator("body").inner_text()
    assert "建议把东侧空地改成停车位" in body
    assert "孙居民" not in body and "13700001111" not in body
    # The supervisor sees who said it.
    strict_page.reload()
    strict_page.locator("#topic-opinions li", has_text="东侧空地").wait_for()
    assert "孙居民" in strict_page.locator("#topic-opinions").inner_text()


def do_step(page, button: str, fills: dict[str, str] | None = None, files=None):
    form = page.locator("#step-form")
    for selector, value in (fills or {}).items():
        form.locator(selector).fill(value)
    if files:
        form.locator("input[type=file]").set_input_files(files)
    form.get_by_role("button", name=button).click()
    page.locator("#step-result", has_text=f"已完成「{button[3:-1]}」").wait_for()


def test_a_community_supervisor_takes_a_topic_through_six_steps(
    live_server, strict_page, open_context
):
    page = strict_page
    login(page, live_server, "community_sup", "/topics")
    page.fill("#topic-new input[name=title]", "老旧小区加装电梯")
    page.fill("#topic-new textarea[name=body]", "3号楼居民提出加装电梯")
    page.fill("#topic-new textarea[name=note]", "入户走访时多户提出")
    page.click("#topic-new button[type=submit]")
    page.wait_for_url(f"{live_server}/topics/*")
    page.locator("#step-form h3", has_text="确定议题").wait_for()
    assert_accessible(page)

    do_step(page, "完成「确定议题」", {"textarea[name=note]": "两委会议确定"})
    do_step(
        page,
        "完成「拟定方案」",
        {"textarea[name=plan]": "按楼层分摊费用，政府补贴一半"},
        files=[{"name": "方案草图.png", "mimeType": "image/png", "buffer": png()}],
    )
    do_step(page, "完成「公示方案」", {"textarea[name=announcement]": "方案公示七天，至本月底"})
    page.fill("#step-form textarea[name=p_resident_rep]", "李大爷\n王阿姨")
    page.fill("#step-form textarea[name=p_unit]", "某物业公司")
    page.fill("#step-form textarea[name=p_department]", "区住建局")
    page.fill("#step-form [name=task_title]", "联系电梯厂家报价")
    page.fill("#step-form [name=task_owner]", "某物业公司")
    page.fill("#step-form [name=task_deadline]", "2027-02-28")
    do_step(
        page,
        "完成「协商议事」",
        {
            "textarea[name=minutes]": "12户同意，1户弃权",
            "textarea[name=decision]": "同意加装，费用按方案分摊",
        },
    )
    assert "李大爷、王阿姨" in page.locator("#topic-participants").inner_text()
    assert "联系电梯厂家报价" in page.locator("#topic-tasks").inner_text()
    page.select_option("#task-category", label="垃圾堆放")
    page.get_by_role("button", name="转为案件").click()
    case_link = page.locator("#topic-tasks a", has_text="案件")
    case_link.wait_for()
    do_step(page, "完成「结果反馈」", {"textarea[name=outcome]": "电梯已签约，三月开工"})
    assert page.locator("#topic").get_attribute("data-state") == "reported"
    assert page.locator("#topic-log li").count() == 6
    assert "方案草图.png" in page.locator("#topic-log").inner_text()
    # Follow-up goes on after reporting back: a task added, the first one done.
    page.fill("#task-form input[name=title]", "电梯验收")
    page.fill("#task-form input[name=owner_name]", "区住建局")
    page.fill("#task-form input[name=deadline]", "2027-06-30")
    page.get_by_role("button", name="增加任务").click()
    page.locator("#topic-tasks li", has_text="电梯验收").wait_for()
    page.locator("#topic-tasks li", has_text="联系电梯厂家报价").get_by_role(
        "button", name="标记完成"
    ).click()
    page.locator("#topic-tasks li", has_text="联系电梯厂家报价").locator(
        "text=已完成"
    ).wait_for()
    assert_accessible(page)
    screenshot(page, "consultation-six-steps")

    # The next person: a resident opens the public page and reads the outcome.
    public_url = page.locator("#topic-public").get_attribute("href")
    phone = open_context(PHONE)
    phone.goto(f"{live_server}{public_url}")
    assert "电梯已签约，三月开工" in phone.locator("#topic-outcome").inner_text()
    assert phone.locator("#opinion-form").count() == 0  # opinions are closed
    tasks = phone.locator("#topic-tasks").inner_text()
    assert "联系电梯厂家报价（已完成）" in tasks and "电梯验收（期限 2027-06-30）" in tasks
    assert_accessible(phone)
    screenshot(phone, "consultation-public-outcome-phone")
    # The task's case is a case like any other, in the supervisor's list.
    case_link.click()
    page.wait_for_url(f"{live_server}/cases/*")
    page.locator("#case-facts", has_text="联系电梯厂家报价").wait_for()
    layer = phone.evaluate("fetch('/api/topics?format=geojson&state=reported').then(r => r.json())")
    assert "老旧小区加装电梯" in [f["properties"]["title"] for f in layer["features"]]
