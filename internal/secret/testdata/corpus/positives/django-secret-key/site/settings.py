DEBUG = False
SECRET_KEY = 'v8+1gmt0&8!b3gyv*yam&o+%f7#^sdk8a02!emfarotr-2=vjz'
