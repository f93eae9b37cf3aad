"""Style controls through the site: strength, style mixing, colours, brush, output size; cached bottlenecks."""

from __future__ import annotations

import numpy as np
import pytest
from django.urls import reverse
from PIL import Image

from gallery.forms import StylizationForm
from gallery.models import Style, Stylization
from gallery.tasks import stylize_stylization
from stylizer.engines import mix_bottlenecks

from .helpers import CONTENT_DIR, STYLES_DIR, make_stylization, png_bytes, upload


def rendered(stylization: Stylization) -> np.ndarray:
    stylization.refresh_from_db()
    assert stylization.status == "done", stylization.error_message
    with Image.open(stylization.result_image.open("rb")) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float64)


def run(alice, styles, **controls) -> np.ndarray:
    stylization = make_stylization(alice, styles, (CONTENT_DIR / "astronaut.png").read_bytes(), **controls)
    assert stylize_stylization(str(stylization.pk)) == "done"
    return rendered(stylization)


@pytest.fixture
def scream(db) -> Style:
    with Image.open(STYLES_DIR / "the_scream.jpg") as image:
        return Style.objects.create_from_image(image.convert("RGB"), title="The Scream", is_public=True)


@pytest.fixture
def photo() -> np.ndarray:
    return np.asarray(Image.open(CONTENT_DIR / "astronaut.png").convert("RGB"), dtype=np.float64)


def test_mix_bottlenecks_follows_the_paper():
    first, second, content = np.full(100, 1.0), np.full(100, 3.0), np.full(100, -1.0)
    np.testing.assert_allclose(mix_bottlenecks([first, second], [1, 1]), np.full(100, 2.0))
    np.testing.assert_allclose(mix_bottlenecks([first, second], [3, 1]), np.full(100, 1.5))
    np.testing.assert_allclose(mix_bottlenecks([first], [1], content, strength=0.25), np.full(100, -0.5))
    with pytest.raises(ValueError, match="content bottleneck"):
        mix_bottlenecks([first], [1], None, strength=0.5)
    with pytest.raises(ValueError, match="weights"):
        mix_bottlenecks([first, second], [0, 0])


def test_strength_moves_the_result_from_the_photo_toward_the_style(alice, public_style, photo):
    distances = []
    for strength in (0.25, 0.6, 1.0):
        distances.append(np.abs(run(alice, public_style, strength=strength) - photo).mean())
    assert distances[0] < distances[1] < distances[2], distances


def test_a_two_style_mix_differs_from_each_style_alone(alice, public_style, scream):
    starry = run(alice, public_style)
    screamy = run(alice, scream)
    mixed = run(alice, [(public_style, 1.0), (scream, 1.0)])
    assert np.abs(mixed - starry).mean() > 3
    assert np.abs(mixed - screamy).mean() > 3
    leaning = run(alice, [(public_style, 9.0), (scream, 1.0)])
    assert np.abs(leaning - starry).mean() < np.abs(mixed - starry).mean()


def test_colors_at_zero_keep_the_photos_hues_and_tones(alice, public_style, photo):
    def ycbcr(array: np.ndarray) -> np.ndarray:
        return np.asarray(Image.fromarray(array.astype(np.uint8)).convert("YCbCr"), dtype=np.float64)

    plain = ycbcr(run(alice, public_style))
    kept = ycbcr(run(alice, public_style, colors=0.0))
    half = ycbcr(run(alice, public_style, colors=0.5))
    original = ycbcr(photo)
    assert np.abs(kept[..., 1:] - original[..., 1:]).mean() < 3.5, "chroma comes from the photo (JPEG: 4:2:0)"
    assert np.abs(plain[..., 1:] - original[..., 1:]).mean() > 8
    # the brush work is the painting's, its tones the photo's
    assert np.corrcoef(kept[..., 0].ravel(), plain[..., 0].ravel())[0, 1] > 0.95
    assert abs(kept[..., 0].mean() - original[..., 0].mean()) < 4  # of 255, after clipping and JPEG
    assert abs(kept[..., 0].std() - original[..., 0].std()) < 0.1 * original[..., 0].std()
    # halfway, the chroma is halfway between the photo's and the style's
    to_photo = np.abs(plain[..., 1:] - original[..., 1:]).mean()
    assert abs(np.abs(half[..., 1:] - original[..., 1:]).mean() - to_photo / 2) < 0.15 * to_photo


def test_output_size_is_the_chosen_long_side(alice, public_style):
    data = (CONTENT_DIR / "hubble_deep_field.jpg").read_bytes()
    stylization = make_stylization(alice, public_style, data, max_side=512)
    stylize_stylization(str(stylization.pk))
    assert rendered(stylization).shape == (446, 512, 3)


def test_style_bottleneck_is_computed_once_and_reused(alice, public_style, scream):
    first = make_stylization(alice, public_style, (CONTENT_DIR / "chelsea.png").read_bytes())
    stylize_stylization(str(first.pk))
    public_style.refresh_from_db()
    assert len(public_style.bottleneck) == 100
    # Give the Starry Night row the Scream's bottleneck: a restyle that reuses
    # the stored bottleneck then renders the Scream, which proves no recomputation.
    scream_run = make_stylization(alice, scream, (CONTENT_DIR / "chelsea.png").read_bytes())
    stylize_stylization(str(scream_run.pk))
    scream.refresh_from_db()
    Style.objects.filter(pk=public_style.pk).update(bottleneck=scream.bottleneck)
    again = make_stylization(alice, public_style, (CONTENT_DIR / "chelsea.png").read_bytes())
    stylize_stylization(str(again.pk))
    np.testing.assert_allclose(rendered(again), rendered(scream_run), atol=1)


def test_restyle_reuses_the_photo_and_its_bottleneck(alice_client, alice, public_style, scream):
    first = make_stylization(alice, public_style, (CONTENT_DIR / "coffee.png").read_bytes(), strength=0.5)
    stylize_stylization(str(first.pk))
    first.photo.refresh_from_db()
    assert len(first.photo.bottleneck) == 100
    response = alice_client.post(
        reverse("gallery:restyle", args=[first.pk]),
        {"style": scream.pk, "strength": 30, "max_side": 512, "main_weight": 100},
    )
    assert response.status_code == 302
    restyled = Stylization.objects.exclude(pk=first.pk).get()
    assert restyled.photo_id == first.photo_id
    assert (restyled.strength, restyled.max_side, restyled.style) == (0.3, 512, scream)
    assert stylize_stylization(str(restyled.pk)) == "done"
    restyled.refresh_from_db()
    assert max(restyled.result_width, restyled.result_height) == 512


def test_upload_with_a_mix_and_controls(alice_client, public_style, scream):
    response = alice_client.post(
        reverse("gallery:home"),
        {
            "photo": upload(png_bytes(300, 200)),
            "style": public_style.pk,
            "main_weight": 70,
            "second_style": scream.pk,
            "second_weight": 30,
            "strength": 60,
            "colors": 0,
            "brush": "fine",
            "max_side": 512,
        },
    )
    assert response.status_code == 302
    stylization = Stylization.objects.get()
    assert (stylization.strength, stylization.colors, stylization.brush, stylization.max_side) == (
        0.6,
        0.0,
        "fine",
        512,
    )
    weights = {w.style.title: w.weight for w in stylization.weights.select_related("style")}
    assert weights == pytest.approx({"Starry Night": 0.7, "The Scream": 0.3})


@pytest.mark.parametrize(
    ("controls", "unfolded"),
    [
        ({}, False),
        ({"strength": 60}, True),
        ({"colors": 40}, True),
        ({"brush": "bold"}, True),
        ({"max_side": 8192}, True),  # an error on a control otherwise at its default
        ({"third_weight": 0}, True),  # ... and on one a mix shows only once its style is chosen
    ],
)
def test_the_controls_come_back_unfolded_when_changed_or_in_error(alice_client, controls, unfolded):
    # No style picked, so the form always comes back, with the controls as sent.
    response = alice_client.post(reverse("gallery:home"), {"photo": upload(png_bytes()), **controls})
    assert response.status_code == 200
    assert response.context["form"].controls_open is unfolded
    assert ('<details class="field controls" open>' in response.content.decode()) is unfolded


def test_the_same_style_twice_is_refused_under_the_repeated_control(alice_client, public_style, scream):
    twice = "Pick different styles to mix: this one is already in the mix."
    for second, third, field in ((public_style, None, "second_style"), (scream, scream, "third_style")):
        data = {"photo": upload(png_bytes()), "style": public_style.pk, "second_style": second.pk}
        if third:
            data["third_style"] = third.pk
        response = alice_client.post(reverse("gallery:home"), data)
        assert response.context["form"].errors == {field: [twice]}
    assert not Stylization.objects.exists()


def test_output_sizes_are_capped_by_a_setting(alice, settings):
    settings.STYLIZER_MAX_SIDE_CAP = 1024
    form = StylizationForm(user=alice)
    assert [side for side, _ in form.fields["max_side"].choices] == [512, 1024]


def test_tfhub_engine_disables_strength_and_mixing_and_says_so(alice_client, alice, public_style, settings):
    settings.STYLIZER_ENGINE = "tfhub"
    page = alice_client.get(reverse("gallery:home")).content.decode()
    assert "Strength and style mixing are not available with the tfhub engine" in page
    form = StylizationForm(user=alice)
    assert form.fields["strength"].disabled and form.fields["second_style"].disabled
    response = alice_client.post(
        reverse("gallery:home"),
        {"photo": upload(png_bytes()), "style": public_style.pk, "strength": 10, "second_style": public_style.pk},
    )
    assert response.status_code == 302
    stylization = Stylization.objects.get()
    assert (stylization.engine, stylization.strength, stylization.weights.count()) == ("tfhub", 1.0, 1)


def test_form_pages_have_unique_element_ids(alice_client, public_style, scream, alice):
    import collections
    import re

    first = make_stylization(alice, public_style, png_bytes())
    for url in (reverse("gallery:home"), reverse("gallery:restyle", args=[first.pk])):
        ids = re.findall(r'\bid="([^"]+)"', alice_client.get(url).content.decode())
        duplicates = [name for name, count in collections.Counter(ids).items() if count > 1]
        assert ids and not duplicates, f"{url}: {duplicates}"


@pytest.mark.parametrize(
    ("controls", "field", "message"),
    [
        ({"brush": "huge"}, "brush", "Pick one of the brush sizes offered: fine, medium, broad or bold."),
        ({"brush": "x" * 5000}, "brush", "Pick one of the brush sizes offered: fine, medium, broad or bold."),
        ({"colors": 150}, "colors", "less than or equal to 100"),
        ({"colors": -5}, "colors", "greater than or equal to 0"),
        ({"strength": 101}, "strength", "less than or equal to 100"),
        ({"max_side": 8192}, "max_side", "Pick one of the output sizes offered."),
        ({"main_weight": 0, "second_style": "other"}, "main_weight", "greater than or equal to 1"),
    ],
)
def test_bad_control_values_are_refused_under_their_control_and_nothing_is_stored(
    alice_client, public_style, scream, controls, field, message
):
    data = {"photo": upload(png_bytes()), "style": public_style.pk, **controls}
    if data.get("second_style") == "other":
        data["second_style"] = scream.pk
    response = alice_client.post(reverse("gallery:home"), data, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert message in errors[field][0]["message"]
    assert len(errors[field][0]["message"]) < 200, "the value sent is not echoed back"
    assert not Stylization.objects.exists()


def test_a_4096_px_print_is_offered_and_accepted(alice_client, public_style):
    form = alice_client.get(reverse("gallery:home")).context["form"]
    assert [side for side, _ in form.fields["max_side"].choices] == [512, 1024, 2048, 4096]
    data = {"photo": upload(png_bytes()), "style": public_style.pk, "max_side": 4096, "brush": "fine"}
    assert alice_client.post(reverse("gallery:home"), data).status_code == 302
    assert (Stylization.objects.get().max_side, Stylization.objects.get().brush) == (4096, "fine")


def test_cards_and_titles_name_every_style_of_a_mix(alice_client, alice, public_style, scream):
    from .helpers import finish_stylization

    mixed = finish_stylization(make_stylization(alice, [(public_style, 1.0), (scream, 2.0)], png_bytes()), public=True)
    page = alice_client.get(reverse("gallery:detail", args=[mixed.pk])).content.decode()
    assert "<title>The Scream + Starry Night · PicStylist</title>" in page
    assert "in the style of The Scream + Starry Night</h1>" in page
    cards = alice_client.get(reverse("gallery:public")).content.decode()
    assert "<span>The Scream + Starry Night</span>" in cards
