# syntax=docker/dockerfile:1-labs
FROM alpine:3.20
RUN --security=insecure mount -t tmpfs none /mnt
