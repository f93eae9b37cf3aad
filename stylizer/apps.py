from django.apps import AppConfig


class StylizerConfig(AppConfig):
    name = "stylizer"
    verbose_name = "Stylizer"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the engine check
