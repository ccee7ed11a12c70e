BROKER_URL = "amqp://orders:BKYdbZAbcA3J1WzxpLaO@rabbitmq:5672/%2F"
