# One image for web, worker and beat.
FROM python:3.11.7-slim-bookworm

ARG STYLIZER_ENGINE=onnx
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STYLIZER_ENGINE=${STYLIZER_ENGINE} \
    TFHUB_CACHE_DIR=/opt/tfhub \
    PICSTYLIST_DATA_DIR=/app/var

WORKDIR /app
COPY requirements.txt requirements-tfhub.txt ./
RUN pip install -r requirements.txt \
    && if [ "$STYLIZER_ENGINE" = "tfhub" ]; then pip install -r requirements-tfhub.txt; fi

COPY . .
# The tfhub engine's model is resolved into the image now, so workers start with no network.
RUN if [ "$STYLIZER_ENGINE" = "tfhub" ]; then \
        DEBUG=true python manage.py prefetch_model && DEBUG=true python manage.py check; \
    fi \
    # Static files as production serves them (DEBUG off): hashed names and their manifest, which the
    # site's pages need at run time. The key and host here serve this command only.
    # The live preview's files (networks, onnxruntime-web by package-lock.json's integrity), then
    && DEBUG=true python manage.py browser_assets \
    && DEBUG=false SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
    && useradd --create-home --uid 10001 picstylist \
    && mkdir -p /app/var/media \
    && chown -R picstylist /app/var

USER picstylist
EXPOSE 8000
CMD ["gunicorn", "picstylist.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
