FROM alpine:3.20
ARG GITHUB_TOKEN
RUN echo "token length ${#GITHUB_TOKEN}"
