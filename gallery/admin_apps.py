"""``django.contrib.admin``'s app config with PicStylist's admin site.

Apart from :mod:`gallery.admin_site` because Django imports app configs
before the models are ready, and the site's dashboard reads the models.
"""

from django.contrib.admin.apps import AdminConfig


class PicStylistAdminConfig(AdminConfig):
    """``django.contrib.admin`` with :class:`gallery.admin_site.PicStylistAdminSite` as ``admin.site``."""

    default_site = "gallery.admin_site.PicStylistAdminSite"
