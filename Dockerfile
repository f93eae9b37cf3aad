# Draft: one image for web and worker. Production deployment is a later issue.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN useradd --create-home --uid 1000 picstylist && mkdir -p /app/var && chown picstylist /app/var
USER picstylist
EXPOSE 8000
CMD ["gunicorn", "picstylist.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2"]
