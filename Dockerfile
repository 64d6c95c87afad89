# The worker and the admin tool share one image; docker-compose.yml picks the command.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY shipped shipped
COPY workflows workflows
COPY activities activities
COPY starter starter
COPY worker.py ./
RUN pip install --no-cache-dir ".[postgres]"
RUN mkdir /data && chown nobody /data
ENV CPJ_DATA_DIR=/data CPJ_LOG_FORMAT=json
USER nobody
CMD ["cpj", "worker"]
