FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY repo repo
COPY ingest ingest
COPY iiif iiif
COPY storage storage
RUN pip install --no-cache-dir .
ENV MUNIMENT_HOST=0.0.0.0 MUNIMENT_DATA_DIR=/data
VOLUME /data
EXPOSE 8000
CMD ["muniment", "serve"]
