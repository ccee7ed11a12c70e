dotnet nuget push bin/Release/Corp.Lib.1.4.0.nupkg --api-key oy2720tv2l4xcmer3x5ndgcwhjlcwxqfm70zfzeagua6dp \
  --source https://api.nuget.org/v3/index.json
