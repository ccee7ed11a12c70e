FROM alpine:3.20
ENTRYPOINT ["/bin/app"]
ENTRYPOINT ["/bin/app", "--serve"]
