/**
 * Integration tests need a real Kafka broker and a real MongoDB wire-protocol server.
 * `scripts/test.sh` starts them (scripts/services.sh) and exports KAFKA_BROKERS and MONGODB_URI;
 * point those variables at your own servers to use them instead. Without them the
 * integration project fails here, loudly, rather than skipping.
 */
export default function setup(): void {
  const missing = ['KAFKA_BROKERS', 'MONGODB_URI'].filter((k) => !process.env[k]);
  if (missing.length > 0) {
    throw new Error(
      `Integration tests need ${missing.join(' and ')}: run them through \`pnpm test\` ` +
        '(which starts Kafka and mongo-java-server with scripts/services.sh), or set the variables to your servers.',
    );
  }
}
