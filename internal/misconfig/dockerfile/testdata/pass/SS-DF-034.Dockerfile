# syntax=docker/dockerfile:1
FROM alpine:3.20
RUN --security=sandbox echo sandboxed
