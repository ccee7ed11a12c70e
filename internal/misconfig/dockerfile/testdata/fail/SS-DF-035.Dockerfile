FROM alpine:3.20
RUN --network=host wget -q http://127.0.0.1:8080/artifact
