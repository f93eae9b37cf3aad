"""keep_colors (on/off) becomes colors (0-1, the photo's colours to the style's); brush sizes."""

import django.core.validators
from django.db import migrations, models


def colors_from_keep_colors(apps, schema_editor):
    Stylization = apps.get_model("gallery", "Stylization")
    Stylization.objects.filter(keep_colors=True).update(colors=0.0)


def keep_colors_from_colors(apps, schema_editor):
    Stylization = apps.get_model("gallery", "Stylization")
    Stylization.objects.filter(colors__lt=0.5).update(keep_colors=True)


class Migration(migrations.Migration):
    dependencies = [("gallery", "0002_gallery_indexes")]

    operations = [
        migrations.AddField(
            model_name="stylization",
            name="colors",
            field=models.FloatField(
                default=1.0,
                help_text="0-1: the photo's colours (0) to the style's (1).",
                validators=[
                    django.core.validators.MinValueValidator(0.0),
                    django.core.validators.MaxValueValidator(1.0),
                ],
            ),
        ),
        migrations.RunPython(colors_from_keep_colors, keep_colors_from_colors),
        migrations.RemoveField(model_name="stylization", name="keep_colors"),
        migrations.AddField(
            model_name="stylization",
            name="brush",
            field=models.CharField(
                choices=[("fine", "Fine"), ("medium", "Medium"), ("broad", "Broad"), ("bold", "Bold")],
                default="medium",
                help_text="Size of the strokes relative to the picture, the same at every output size.",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="stylization",
            name="strength",
            field=models.FloatField(
                default=1.0,
                help_text="0-1: the photo itself (0) to the full style (1), in even steps (stylizer.painting).",
                validators=[
                    django.core.validators.MinValueValidator(0.0),
                    django.core.validators.MaxValueValidator(1.0),
                ],
            ),
        ),
    ]
