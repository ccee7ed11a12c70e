FROM golang:1.23 AS build
RUN go build -o /go/bin/app .
FROM gcr.io/distroless/static:nonroot
COPY --from=build /go/bin/app /app
