"""The stylization network, image pipeline and Celery tasks (Ghiasi et al. 2017)."""
