FROM alpine:3.20
ENTRYPOINT ["/bin/app", "--serve"]
