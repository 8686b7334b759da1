# Mirador comes from the npm registry at build time; the runtime image needs no node.
FROM node:20-slim AS mirador
WORKDIR /src
COPY package.json package-lock.json ./
COPY app/web/static/build.sh app/web/static/build.sh
RUN bash app/web/static/build.sh

FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY repo repo
COPY ingest ingest
COPY iiif iiif
COPY storage storage
COPY --from=mirador /src/app/web/static/vendor app/web/static/vendor
RUN pip install --no-cache-dir .
ENV MUNIMENT_HOST=0.0.0.0 MUNIMENT_DATA_DIR=/data
VOLUME /data
EXPOSE 8000
CMD ["muniment", "serve"]
