# Kanalvakt's production image. The web server, the Celery worker and Celery beat all run from it;
# docker-compose.yml says which one a container is. Configuration comes from the environment
# (see the README's table); nothing secret is baked in.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    KANALVAKT_ENV=production \
    KANALVAKT_VAR_DIR=/app/var \
    MEDIA_ROOT=/app/media \
    STATIC_ROOT=/app/staticfiles

# Pillow needs a font on the system to draw text, such as the date stamped on screenshots
# (KAU-DIARY-ACTION); the PDFs embed DejaVu, Symbola (emoji, symbols) and Droid Sans Fallback
# (Chinese, Japanese, Korean) for whatever a visitor typed (core.pdffonts); single sign-on
# (pysaml2) signs and verifies SAML messages with xmlsec1.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends fonts-dejavu-core fonts-symbola \
       fonts-droid-fallback xmlsec1 \
    && rm -rf /var/lib/apt/lists/*

# A fixed uid, so that the files in the var and media volumes keep their owner across rebuilds.
RUN groupadd --system --gid 10001 kanalvakt \
    && useradd --system --uid 10001 --gid kanalvakt --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin kanalvakt

WORKDIR /app

# The runtime requirements only (every version pinned); test and development tools stay out.
COPY requirements.txt .
RUN pip install --requirement requirements.txt

COPY . .

# Translations and static files are built into the image. Production settings need a SECRET_KEY
# and ALLOWED_HOSTS to load at all; the throwaway values below exist only inside this one RUN
# line and are not part of the image's environment. Static files go to /app/staticfiles, outside
# the var volume, so that a rebuilt image always serves its own CSS.
# The code stays owned by root; the app user may write only var/ and media/.
RUN export SECRET_KEY="build-time-only-not-used-at-runtime-0123456789abcdefghijklmnop" \
           ALLOWED_HOSTS="localhost" \
    && python manage.py compiletranslations \
    && python manage.py collectstatic --noinput \
    && rm -rf /app/var \
    && mkdir -p /app/var /app/media \
    && chown kanalvakt:kanalvakt /app/var /app/media

USER kanalvakt

EXPOSE 8000

CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
