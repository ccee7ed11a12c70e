HEADERS = {"Authorization": "Bearer 6yHUheM1JajFAAjBjNHjomGFDfJH79T2OB5lvvlB"}
