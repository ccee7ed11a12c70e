from slack_sdk import WebClient

client = WebClient(token="xoxb-438463952201-5637266432224-cRLuQh6fNlC0YhChE42uK07i")
