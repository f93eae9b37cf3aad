"""What the pages hand their scripts: the upload page's words (gallery.messages, as JSON) and
the delay after which the status says a wait is taking longer than expected."""

from __future__ import annotations

import json
import re

from django.urls import reverse

from gallery import messages

from .helpers import make_stylization, png_bytes


def test_the_upload_page_hands_its_script_the_forms_words(alice_client, public_style):
    html = alice_client.get(reverse("gallery:home")).content.decode()
    found = re.search(r'<script id="upload-messages" type="application/json">(.*?)</script>', html, re.S)
    assert found, "no upload-messages data block"
    words = json.loads(found.group(1))
    assert words == messages.client_messages()
    assert words["style_twice_in_mix"] == "Pick different styles to mix: this one is already in the mix."
    assert words["photo_too_thin"]["advice"] == "Choose a larger output size or a less elongated photo ({limit})"
    # the script is a module from this site: the Content-Security-Policy ('self') runs it, and nothing inline
    assert re.search(r'<script type="module" src="/static/picstylist/upload\.js">', html)


def test_the_late_warning_delay_is_a_setting_handed_to_the_status_script(alice_client, alice, public_style, settings):
    stylization = make_stylization(alice, public_style, png_bytes())
    pages = (reverse("gallery:detail", args=[stylization.pk]), reverse("gallery:mine"))
    for path in pages:
        assert 'data-late-after-seconds="10"' in alice_client.get(path).content.decode()
    settings.STYLIZATION_LATE_AFTER_SECONDS = 2.5
    for path in pages:
        assert 'data-late-after-seconds="2.5"' in alice_client.get(path).content.decode()
