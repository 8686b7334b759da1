# Mirador comes from the npm registry at build time; the runtime image needs no node.
FROM node:20.18.1-bookworm-slim AS mirador
WORKDIR /src
COPY package.json package-lock.json ./
COPY app/web/static/build.sh app/web/static/build.sh
RUN bash app/web/static/build.sh

# The wheel carries the Mirador bundle (app/web/static is package data); only runtime dependencies.
FROM python:3.11.11-slim-bookworm AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app app
COPY repo repo
COPY ingest ingest
COPY iiif iiif
COPY storage storage
COPY --from=mirador /src/app/web/static/vendor app/web/static/vendor
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11.11-slim-bookworm
COPY --from=wheel /wheels /wheels
# OCR: Debian's Tesseract and language data at run time; tesserocr is built against them here
# (its build tools are removed again in the same layer).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra \
       tesseract-ocr-deu libtesseract-dev libleptonica-dev pkg-config g++ \
    && pip install --no-cache-dir --no-binary tesserocr /wheels/*.whl && rm -rf /wheels \
    && apt-get purge -y libtesseract-dev libleptonica-dev pkg-config g++ && apt-get autoremove -y \
    && apt-get install -y --no-install-recommends libtesseract5 && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data muniment \
    && mkdir -p /data && chown muniment /data
# A named volume mounted here starts with this folder's owner, so the non-root user can write it.
VOLUME /data
USER muniment
WORKDIR /data
ENV MUNIMENT_HOST=0.0.0.0 MUNIMENT_DATA_DIR=/data
EXPOSE 8000
CMD ["muniment", "serve"]
