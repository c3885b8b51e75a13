/**
 * A small shop: mostly product reads (popular products are read far more often: zipfian), some
 * searches by category, and purchases that read the price, take stock and record an order in one
 * transaction.
 *
 *   npx pgsurge run examples/checkout.ts -T 30s -c 8                 # throwaway server: setup runs first
 *   npx pgsurge init examples/checkout.ts --url $URL -D products=100000
 *   npx pgsurge run  examples/checkout.ts --url $URL -D products=100000 -R 500 -T 2m
 */
import { defineWorkload } from 'pgsurge';

export default defineWorkload({
  name: 'checkout',
  description: 'read-heavy shop: product pages, category listings, purchases',
  options: {
    products: { type: 'int', default: 10_000, description: 'rows in products' },
    categories: { type: 'int', default: 50, description: 'distinct categories' },
  },

  async setup(db, o) {
    await db.query('drop table if exists orders, products');
    await db.query(`create table products (
      id int primary key, category int not null, name text not null, price_cents int not null, stock int not null)`);
    await db.query(
      `insert into products
       select i, 1 + i % $2, 'product ' || i, 100 + (i * 7919) % 10000, 1000000
       from generate_series(1, $1) as i`,
      [o.products, o.categories],
    );
    await db.query('create index on products (category, price_cents)');
    await db.query(`create table orders (
      id bigint generated always as identity primary key, product_id int not null references products,
      quantity int not null, total_cents int not null, details jsonb not null, created_at timestamptz not null default now())`);
    await db.query('vacuum analyze products');
  },

  async teardown(db) {
    await db.query('drop table if exists orders, products');
  },

  transactions: {
    product: {
      weight: 8,
      read: true,
      steps: [{ sql: 'select name, price_cents, stock from products where id = $1', params: (r, _v, o) => [r.zipfian(1, o.products, 1.1)] }],
    },
    category: {
      weight: 3,
      read: true,
      steps: [
        {
          sql: 'select id, name, price_cents from products where category = $1 order by price_cents limit 20',
          params: (r, _v, o) => [r.int(1, o.categories)],
        },
      ],
    },
    buy: {
      weight: 1,
      steps: [
        { sql: 'begin' },
        {
          // Read the price: `rows` makes pgsurge return the row, like pgbench's \gset.
          sql: 'select price_cents from products where id = $1',
          params: (r, v, o) => [(v.product = r.zipfian(1, o.products, 1.1))],
          rows: (rows, v) => {
            v.price = Number(rows[0]?.price_cents ?? 0);
          },
        },
        {
          sql: 'update products set stock = stock - $2 where id = $1',
          params: (r, v) => [v.product as number, (v.quantity = r.int(1, 3))],
        },
        {
          sql: 'insert into orders (product_id, quantity, total_cents, details) values ($1, $2, $3, $4)',
          params: (r, v) => [v.product as number, v.quantity as number, (v.price as number) * (v.quantity as number), r.json(256)],
        },
        { sql: 'commit' },
      ],
    },
  },
});
