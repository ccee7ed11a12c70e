// a JWT starts with its header, e.g. "eyJhbGciOiJIUzI1NiJ9" (alg HS256)
const parts = token.split(".");
