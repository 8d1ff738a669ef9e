# syntax=docker/dockerfile:1

# --- The dashboard (spa/), built with Node; only its dist/ is kept.
FROM node:20-slim AS spa
WORKDIR /spa
COPY spa/package.json spa/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY spa/ ./
RUN npm run build

# --- The Django app: web (gunicorn), worker and beat all run this image.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt
COPY . .
COPY --from=spa /spa/dist ./spa/dist
# /var/lib/cleanup-console: compose's `keys` volume (the generated SECRET_KEY), which takes
# this directory's owner and mode when it is first created.
RUN useradd --create-home --uid 1000 app && mkdir -p staticfiles && chown -R app /app \
    && install -d -o app -m 700 /var/lib/cleanup-console
USER app
EXPOSE 8000
ENTRYPOINT ["infra/entrypoint.sh"]
CMD ["gunicorn", "config.wsgi", "-c", "infra/gunicorn.conf.py"]
