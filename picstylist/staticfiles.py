"""Static files in production: whitenoise's compressed, hashed copies, ES module imports included."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Also rewrites ``import … from "./x.js"`` in our ES modules to the hashed names (Django's
    ``support_js_module_import_aggregation``), so a page never mixes modules of two deploys."""

    support_js_module_import_aggregation = True
