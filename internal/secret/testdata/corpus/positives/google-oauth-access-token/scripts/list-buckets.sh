#!/bin/sh
curl -s -H "Authorization: Bearer ya29.a0tygmkmjqneYkcP27P8snos42ahTCPmTEWERNGYNnY523kG-2KG0wN-WRYKK5PSVYifkTXiGirke4E5pV1ticRDpUKcwGQ14TuMt_DNePFXinUdP0TtiuKMKUrGoUhinKGFw3uGkyvDJwi9ohS91k3_" \
  https://storage.googleapis.com/storage/v1/b?project=shop-prod
