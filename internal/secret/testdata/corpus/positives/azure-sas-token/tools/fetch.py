URL = ("https://shopprod.blob.core.windows.net/exports/orders.csv"
       "?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-12-31T00:00:00Z&st=2026-11-01T00:00:00Z&spr=https&sig=4a08Q7z%2FmRyFzjAgWGny1YoApmlsLnj1BHnzZO3adZE%3D")
