FROM node:22.11.0-bookworm-slim
CMD ["node", "server.js"]
