export const firebaseConfig = {
  apiKey: "AIzaE2e_o9xcnbRP0SdKn9Y5lLQPgeGScaoHoH8",
  authDomain: "shop-prod.firebaseapp.com",
};
