FROM golang:1.23 AS build
COPY --from=build /go/bin/app /app
