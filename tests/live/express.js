// Express with the npm `cors` middleware, in three configurations, for the
// `live_express_*` tests (tests/live_servers.rs). Listens on 127.0.0.1 only,
// on the port in CROSSORIGIN_EXPRESS_PORT; .ci/run starts and stops it.
'use strict';
const express = require('express');
const cors = require('cors');

const app = express();

// One allowed origin, PUT allowed, Content-Type allowed.
const strict = cors({
  origin: 'https://app.example',
  methods: ['GET', 'PUT'],
  allowedHeaders: ['Content-Type'],
});
app.use('/strict', strict);
app.all('/strict', (req, res) => res.send('strict'));

// Every origin reflected, with credentials.
const reflect = cors({ origin: true, credentials: true });
app.use('/reflect', reflect);
app.all('/reflect', (req, res) => res.send('reflect'));

// The defaults: `*`, every method, the requested headers reflected.
app.use('/default', cors());
app.all('/default', (req, res) => res.send('default'));

const port = Number(process.env.CROSSORIGIN_EXPRESS_PORT || 0);
const server = app.listen(port, '127.0.0.1', () => {
  console.log(`express listening on 127.0.0.1:${server.address().port}`);
});
