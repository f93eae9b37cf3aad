from django.apps import AppConfig


class StylizerConfig(AppConfig):
    name = "stylizer"
    verbose_name = "Stylizer"

    def ready(self) -> None:
        # Imported for their side effects, once Django's apps are ready:
        from . import (
            checks,  # noqa: F401 - registers the engine check
            worker,  # noqa: F401 - connects the worker children's engine warm-up
        )
