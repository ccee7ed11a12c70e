import os
SECRET_KEY = os.environ['DJANGO_SECRET_KEY']
DATABASES = {'default': {'PASSWORD': os.getenv('DB_PASSWORD')}}
