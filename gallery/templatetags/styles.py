"""Style names as a viewer may see them: a private style is "a private style" to everyone but its owner and staff."""

from __future__ import annotations

from django import template

from gallery.models import Style, Stylization

register = template.Library()


@register.filter
def style_names_for(stylization: Stylization, user) -> str:
    """``{{ stylization|style_names_for:user }}``: every style of its mix as ``user`` may see them."""
    return stylization.style_names_for(user)


@register.filter
def style_shown_to(style: Style, user) -> bool:
    """``{% if style|style_shown_to:user %}``: whether ``user`` may see the style's title, artist and image."""
    return style.is_shown_to(user)
