const HOOK = "https://discord.com/api/webhooks/5650910813024279771/_ffPoi_5sOq8jigp9idNlrY_w6AaJop-cJzkRb7of4CL9yRcISd35HGUq2-Xuq2fZP3H";
