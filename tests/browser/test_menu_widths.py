"""The menu bar fits every width between a phone and a desktop, for every role.

The compare page's review found the expanded menu making pages 1205 px wide on a 992 px
screen (a small laptop, a tablet held sideways): the menu stays collapsed until it fits,
and where it is open its items wrap rather than push the page wider than the screen.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import settle, shot
from tests.browser.test_journeys import sign_in
from tests.chargeback.web.test_authorization import ROLES

pytestmark = pytest.mark.slow

WIDTHS = (768, 992, 1100, 1200, 1280)


@pytest.mark.parametrize("who", ROLES)
def test_the_menu_never_makes_the_page_wider_than_the_screen(live_server, page, users, who):
    sign_in(page, live_server, who)
    too_wide = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live_server}/")
        settle(page)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        shot(page, f"menu-{who}-{width}")
        if scroll_width > width:
            too_wide.append(f"{width} px screen: page {scroll_width} px wide")
    assert too_wide == []
