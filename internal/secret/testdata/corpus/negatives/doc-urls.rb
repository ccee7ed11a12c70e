#   uri = URI.parse("http://john:S3nsit1ve@my.example.com")
# export http_proxy="http://proxyuser:proxypass@proxy.example.org:3128"
# DATABASE_URL=postgres://app:hunter2secret@db.test/app
