"""The stylization networks and the image pipeline (Ghiasi et al. 2017), free of the ORM.

Engines, pipeline, painting and rendering; the Celery tasks that touch rows live in :mod:`gallery.tasks`.
"""
