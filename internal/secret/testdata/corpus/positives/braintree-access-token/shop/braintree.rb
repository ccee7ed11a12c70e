gateway = Braintree::Gateway.new(
  access_token: "access_token$production$0sfafgh890630ye8$49f1e03cea1f06d990d94785659be572",
)
