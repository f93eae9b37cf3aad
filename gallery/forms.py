"""Upload, restyle, style upload, sign-up and password-reset forms."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.contrib.auth.models import User
from django.forms.utils import ErrorDict
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from stylizer.registry import BOTTLENECK_ENGINES

from . import messages
from .models import BRUSH_CHOICES, Style
from .upload_fields import (  # noqa: F401 - re-exported: the fields' home was here
    ImageUploadField,
    PhotoOrClipField,
    StyleImageField,
    fitted_size_problem,
    photo_size_problem,
)

OUTPUT_SIDES = (512, 1024, 2048, 4096)


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional; needed to reset a forgotten password.")

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]  # the stubs do not declare it
        fields = ("username", "email")


class RefusableForm(forms.BaseForm):
    """A form that can be refused as a whole before its fields are cleaned.

    ``refuse(message)`` (a quota used up, say) makes the form invalid with
    ``message`` as its only error, and leaves uploads undecoded: the web
    process spends nothing on a request it will turn down.
    """

    def refuse(self, message: str | None) -> None:
        if message and self.is_bound:
            self._errors = ErrorDict()
            self.cleaned_data = {}
            self.add_error(None, message)


class ThrottledPasswordResetForm(PasswordResetForm):
    """Sends at most ``settings.PASSWORD_RESET_ACCOUNT_RATE`` reset mails to one account, whoever asks.

    Past the limit the account is left out silently, so that the answer stays
    the usual "check your mail" page whether or not the address has an account.
    """

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.request = kwargs["request"]  # the rate limit's counters are looked up through it
        super().save(*args, **kwargs)

    def get_users(self, email: str) -> Iterator[User]:
        for user in super().get_users(email):
            if not is_ratelimited(
                self.request,
                group="password_reset_account",
                key=_account_key(user),
                rate=lambda group, request: settings.PASSWORD_RESET_ACCOUNT_RATE,
                increment=True,
            ):
                yield user


def _account_key(user: AbstractBaseUser) -> Callable[[str, HttpRequest], str]:
    return lambda group, request: str(user.pk)


#: Long sides (px) offered for stylized clips, capped by ``settings.STYLIZER_CLIP_MAX_SIDE_CAP``.
CLIP_SIDES = (360, 480, 720, 1080)


def clip_side_choices() -> list[tuple[int, str]]:
    sides = [side for side in CLIP_SIDES if side <= settings.STYLIZER_CLIP_MAX_SIDE_CAP] or [
        settings.STYLIZER_CLIP_MAX_SIDE_CAP
    ]
    return [(side, f"{side} px") for side in sides]


def output_side_choices() -> list[tuple[int, str]]:
    sides = [side for side in OUTPUT_SIDES if side <= settings.STYLIZER_MAX_SIDE_CAP] or [
        settings.STYLIZER_MAX_SIDE_CAP
    ]
    return [(side, f"{side} px") for side in sides]


class StyleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Style) -> str:
        return obj.title


class StylizationForm(RefusableForm, forms.Form):
    """A new stylization (``with_photo``) or a restyle of a stored photo, with the style controls.

    Controls (see :mod:`stylizer.painting`): strength (0-100 %, from the photo
    to the full style), a mix of up to three styles with weights (shown as
    shares of 100 %), the brush size, the colours (0-100 %, from the photo's
    to the style's) and the output's long side. Engines without a style bottleneck
    (``tfhub``) cannot offer strength or mixing: those fields are disabled and
    say so.
    """

    photo = PhotoOrClipField(
        label="Photo or clip",
        help_text="A photo: JPEG, PNG, WebP, HEIC, GIF, BMP or TIFF. A clip of up to 15 s: MP4, MOV or WebM, "
        "or an animated GIF, WebP or PNG.",
    )
    style = StyleChoiceField(
        queryset=Style.objects.none(), required=False, empty_label=None, widget=forms.RadioSelect, label="Style"
    )
    style_image = StyleImageField(
        label="…or your own style image",
        required=False,
        help_text="A painting or any picture whose look you want. It stays private.",
    )
    main_weight = forms.IntegerField(
        required=False,
        label="Weight of the main style",
        min_value=1,
        max_value=100,
        initial=100,
        help_text="Weights are relative: each one's share of the mix shows beside it.",
    )
    second_style = StyleChoiceField(
        queryset=Style.objects.none(), required=False, label="Mix with a second style", empty_label="No mix"
    )
    second_weight = forms.IntegerField(
        required=False, label="Weight of the second style", min_value=1, max_value=100, initial=50
    )
    third_style = StyleChoiceField(
        queryset=Style.objects.none(), required=False, label="Mix with a third style", empty_label="No third style"
    )
    third_weight = forms.IntegerField(
        required=False, label="Weight of the third style", min_value=1, max_value=100, initial=50
    )
    strength = forms.IntegerField(
        label="Style strength (%)",
        required=False,
        min_value=0,
        max_value=100,
        initial=100,
        widget=forms.NumberInput(attrs={"type": "range", "step": 5}),
        help_text="0 % is your photo unchanged, 100 % the full style; each step changes the picture by about as much.",
    )
    brush = forms.ChoiceField(
        label="Brush size",
        choices=BRUSH_CHOICES,
        initial="medium",
        # Django's message repeats the value sent, whatever its length.
        error_messages={"invalid_choice": "Pick one of the brush sizes offered: fine, medium, broad or bold."},
        required=False,
        help_text="The size of the strokes relative to the picture. It stays the same at every output size: "
        "a bigger output is the same painting with more detail. For a 4096 px print, "
        "the fine brush gives crisper strokes.",
    )
    colors = forms.IntegerField(
        label="Colours (%)",
        required=False,
        min_value=0,
        max_value=100,
        initial=100,
        widget=forms.NumberInput(attrs={"type": "range", "step": 5}),
        help_text="0 % keeps your photo's colours and tones (a night sky stays dark), 100 % takes the style's; "
        "the brush work is the same.",
    )
    max_side = forms.TypedChoiceField(
        label="Output size (long side)",
        coerce=int,
        choices=(),
        error_messages={"invalid_choice": "Pick one of the output sizes offered."},
        required=False,
        help_text="A smaller photo keeps its own size: photos are never enlarged.",
    )

    clip_side = forms.TypedChoiceField(
        label="Clip size (long side)",
        coerce=int,
        choices=(),
        error_messages={"invalid_choice": "Pick one of the clip sizes offered."},
        required=False,
        help_text="For clips: the long side of the stylized clip. A smaller clip keeps its own size.",
    )

    def __init__(
        self,
        *args,
        user,
        with_photo: bool = True,
        photo_size: tuple[int, int] | None = None,
        clip: bool | None = None,
        **kwargs,
    ) -> None:
        """``with_photo=False`` is a restyle of a stored photo of ``photo_size`` (width, height px, upright);
        ``clip`` True or False keeps only the size control of a clip or of a photo (a restyle knows which)."""
        super().__init__(*args, **kwargs)
        self.photo_size = photo_size
        if not with_photo:
            del self.fields["photo"]
            del self.fields["style_image"]
        styles = Style.objects.usable_by(user).select_related("owner")
        for name in ("style", "second_style", "third_style"):
            cast(forms.ModelChoiceField, self.fields[name]).queryset = styles
        side_choices = output_side_choices()
        sides = [side for side, _ in side_choices]
        if "max_side" in self.fields:
            cast(forms.TypedChoiceField, self.fields["max_side"]).choices = side_choices
            self.fields["max_side"].initial = min(settings.STYLIZER_MAX_SIDE, max(sides))
        if clip is not None:
            del self.fields["max_side" if clip else "clip_side"]
        clip_sides = clip_side_choices()
        if "clip_side" in self.fields:
            cast(forms.TypedChoiceField, self.fields["clip_side"]).choices = clip_sides
            self.fields["clip_side"].initial = min(settings.STYLIZER_CLIP_MAX_SIDE, max(side for side, _ in clip_sides))
        self.engine = settings.STYLIZER_ENGINE
        self.supports_bottleneck = self.engine in BOTTLENECK_ENGINES
        if not self.supports_bottleneck:
            note = f"Not available with the {self.engine} engine this site runs."
            for name in ("strength", "second_style", "second_weight", "third_style", "third_weight", "main_weight"):
                self.fields[name].disabled = True
                self.fields[name].help_text = note

    CONTROL_FIELDS = (
        "strength",
        "main_weight",
        "second_style",
        "second_weight",
        "third_style",
        "third_weight",
        "brush",
        "colors",
        "max_side",
        "clip_side",
    )

    #: The mix's weights; the page shows each as its share of 100 %.
    weight_fields = ("main_weight", "second_weight", "third_weight")

    def control_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.CONTROL_FIELDS if name in self.fields]

    @property
    def controls_open(self) -> bool:
        """Whether the form shows its controls unfolded: when they differ from their
        defaults (strength, a mix, brush, colours) or one of them has an error."""
        names = ("strength", "second_style", "brush", "colors")
        defaults = ((name, self.fields[name].initial) for name in names)
        # a control left out keeps its default (see clean)
        changed = any(self[name].value() not in (None, "", initial, str(initial)) for name, initial in defaults)
        return changed or any(field.errors for field in self.control_fields())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        for name in (
            "main_weight",
            "second_weight",
            "third_weight",
            "strength",
            "colors",
            "brush",
            "max_side",
            "clip_side",
        ):
            if name in self.fields and cleaned.get(name) in (None, ""):
                cleaned[name] = self.fields[name].initial  # a control left out keeps its default
        # The result is the photo fitted to the output size: refuse a strip under the minimum side.
        photo = cleaned.get("photo")
        if photo and getattr(photo, "clip_info", None) is not None:
            pass  # a clip's size was checked against the clip limits (PhotoOrClipField)
        elif photo and not self.has_error("max_side"):
            problem = photo_size_problem((photo.image_info.width, photo.image_info.height), cleaned["max_side"])
            if problem:
                self.add_error("photo", problem)
        elif self.photo_size and "max_side" in self.fields and not self.has_error("max_side"):
            problem = photo_size_problem(self.photo_size, cleaned["max_side"], restyle=True)
            if problem:
                self.add_error("max_side", problem)
        if self.errors:
            return cleaned
        has_image = bool(cleaned.get("style_image"))
        if cleaned.get("style") and has_image:
            raise forms.ValidationError(messages.STYLE_AND_IMAGE)
        if not cleaned.get("style") and not has_image:
            self.add_error("style", messages.STYLE_MISSING)
            return cleaned
        # Each error goes under its own control, so it shows beside what to change.
        seen = {cleaned["style"].pk} if cleaned.get("style") else set()
        for name in ("second_style", "third_style"):
            style = cleaned.get(name)
            if style and style.pk in seen:
                self.add_error(name, messages.STYLE_TWICE_IN_MIX)
            elif style:
                seen.add(style.pk)
        return cleaned

    def mix(self, main_style: Style) -> list[tuple[Style, float]]:
        """(style, weight) pairs from the cleaned data; ``main_style`` replaces ``style``."""
        data = self.cleaned_data
        pairs = [(main_style, float(data["main_weight"]))]
        for rank in ("second", "third"):
            if data.get(f"{rank}_style"):
                pairs.append((data[f"{rank}_style"], float(data[f"{rank}_weight"])))
        return pairs


class StyleUploadForm(RefusableForm, forms.ModelForm):
    image = StyleImageField(label="Style image", help_text="A painting or any picture whose look you want.")
    submit_public = forms.BooleanField(
        label="Submit it to the public style gallery",
        required=False,
        help_text="Staff review it first. Only submit images you may share.",
    )

    class Meta:
        model = Style
        fields = ["title", "artist", "licence"]


class ReportForm(forms.Form):
    reason = forms.CharField(
        label="What is wrong with it?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example: it is not yours to share, or it is offensive.",
    )
