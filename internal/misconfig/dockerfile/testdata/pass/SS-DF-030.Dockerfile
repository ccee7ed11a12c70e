FROM alpine:3.20 AS build
CMD ["echo", "one"]
FROM alpine:3.20
CMD ["echo", "two"]
