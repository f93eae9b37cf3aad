"""Upload and sign-up forms."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

from stylizer.pipeline import ImageRejected, load_image

from .models import Style


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional; needed to reset a forgotten password.")

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")


class ImageUploadField(forms.FileField):
    """A file field that accepts only images PicStylist can decode.

    Checks, in order: the size in bytes (``settings.MAX_UPLOAD_BYTES``), the
    format and pixel count from the header (``settings.STYLIZER_MAX_PIXELS``),
    then a full decode. ``cleaned_data`` holds the uploaded file with two
    attributes: ``image``, the decoded upright RGB Pillow image, and
    ``image_info``, its :class:`stylizer.pipeline.ImageInfo`.
    """

    def clean(self, data: UploadedFile | None, initial: object = None) -> UploadedFile | None:
        upload = super().clean(data, initial)
        if not upload:
            return upload
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"This file is {filesizeformat(upload.size)}; the limit is {filesizeformat(settings.MAX_UPLOAD_BYTES)}."
            )
        if upload.size == 0:
            raise forms.ValidationError("This file is empty.")
        upload.seek(0)
        try:
            upload.image, upload.image_info = load_image(upload, settings.STYLIZER_MAX_PIXELS)
        except ImageRejected as exc:
            raise forms.ValidationError(str(exc)) from None
        finally:
            upload.seek(0)
        return upload


class StylizationForm(forms.Form):
    photo = ImageUploadField(label="Photo", help_text="JPEG, PNG, WebP, HEIC, GIF, BMP or TIFF.")
    style = forms.ModelChoiceField(
        queryset=Style.objects.none(),
        required=False,
        empty_label=None,
        widget=forms.RadioSelect,
        label="Style",
    )
    style_image = ImageUploadField(
        label="…or your own style image", required=False, help_text="A painting or any picture whose look you want."
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["style"].queryset = Style.objects.usable_by(user).select_related("owner")

    def clean(self) -> dict:
        cleaned = super().clean()
        has_style = bool(cleaned.get("style"))
        has_image = bool(cleaned.get("style_image"))
        if "style_image" in self.errors or "style" in self.errors:
            return cleaned
        if has_style and has_image:
            raise forms.ValidationError("Pick a style from the gallery or upload your own style image, not both.")
        if not has_style and not has_image:
            raise forms.ValidationError("Pick a style or upload your own style image.")
        return cleaned
