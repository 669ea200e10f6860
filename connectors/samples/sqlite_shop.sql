-- The SQLite connector's sample database: `python connectors/samples/sqlite_build.py` writes
-- connectors/samples/sqlite_shop.db from this file (the tests check that the two agree).
PRAGMA foreign_keys = ON;

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name VARCHAR(40) NOT NULL,
    email TEXT UNIQUE,
    country CHAR(2),
    created_at DATETIME
);

-- A WITHOUT ROWID table keyed by text.
CREATE TABLE products (
    sku TEXT PRIMARY KEY,
    title VARCHAR(80) NOT NULL,
    price DECIMAL(10, 2),
    weight_kg REAL
) WITHOUT ROWID;

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    ordered_on DATE NOT NULL,
    status TEXT,
    total DECIMAL(10, 2)
);

-- A composite primary key, two foreign keys and a generated column.
CREATE TABLE order_items (
    order_id INTEGER NOT NULL REFERENCES orders (id),
    line INTEGER NOT NULL,
    sku TEXT NOT NULL REFERENCES products (sku),
    quantity INTEGER NOT NULL,
    unit_price DECIMAL(10, 2) NOT NULL,
    line_total REAL GENERATED ALWAYS AS (quantity * unit_price) STORED,
    PRIMARY KEY (order_id, line)
);

CREATE TABLE customer_updates (id INTEGER PRIMARY KEY, country CHAR(2));

-- Written by the query log's INSERT ... SELECT and CREATE TABLE ... AS.
CREATE TABLE daily_sales (day DATE PRIMARY KEY, revenue DECIMAL(12, 2));
CREATE TABLE top_products AS SELECT sku, sum(quantity) AS sold FROM order_items WHERE 0 GROUP BY sku;

-- Full-text search: a virtual table (its shadow tables are not tables of the catalog).
CREATE VIRTUAL TABLE product_search USING fts5 (sku, title);

CREATE VIEW customer_orders AS
    SELECT c.id AS customer_id, c.name, o.id AS order_id, o.ordered_on, o.total
    FROM customers AS c JOIN orders AS o ON o.customer_id = c.id;

-- A view over a view.
CREATE VIEW big_customers AS
    SELECT customer_id, name, sum(total) AS spent
    FROM customer_orders GROUP BY customer_id, name HAVING sum(total) > 100;

-- A view over a view over a view.
CREATE VIEW vip_report AS SELECT * FROM big_customers WHERE spent > 500;

-- A view with a CTE: it reads orders and order_items, never a table called "lines".
CREATE VIEW monthly_revenue AS
    WITH lines AS (
        SELECT o.ordered_on, i.line_total FROM orders AS o JOIN order_items AS i ON i.order_id = o.id
    )
    SELECT substr(ordered_on, 1, 7) AS month, sum(line_total) AS revenue FROM lines GROUP BY month;

INSERT INTO customers VALUES
    (1, 'Ada Lovelace', 'ada@example.com', 'GB', '2024-01-05 09:30:00'),
    (2, 'Grace Hopper', 'grace@example.com', 'US', '2024-01-06 14:00:00'),
    (3, 'Émilie du Châtelet', 'emilie@example.com', 'FR', '2024-02-11 08:15:00'),
    (4, 'Alan Turing', NULL, 'GB', '2024-03-01 17:45:00');

INSERT INTO products VALUES
    ('KB-01', 'Mechanical keyboard', 89.90, 1.1),
    ('MS-02', 'Wireless mouse', 24.50, 0.1),
    ('MN-27', '27-inch monitor', 249.00, 5.8),
    ('CB-10', 'USB-C cable', 9.99, NULL);

INSERT INTO orders VALUES
    (100, 1, '2024-04-01', 'shipped', 114.40),
    (101, 2, '2024-04-01', 'shipped', 249.00),
    (102, 1, '2024-04-15', 'paid', 498.00),
    (103, 3, '2024-05-02', 'paid', 19.98),
    (104, 2, '2024-05-20', 'cancelled', 89.90);

INSERT INTO order_items (order_id, line, sku, quantity, unit_price) VALUES
    (100, 1, 'KB-01', 1, 89.90),
    (100, 2, 'MS-02', 1, 24.50),
    (101, 1, 'MN-27', 1, 249.00),
    (102, 1, 'MN-27', 2, 249.00),
    (103, 1, 'CB-10', 2, 9.99),
    (104, 1, 'KB-01', 1, 89.90);

INSERT INTO customer_updates VALUES (4, 'US');
INSERT INTO daily_sales SELECT ordered_on, sum(total) FROM orders GROUP BY ordered_on;
INSERT INTO top_products SELECT sku, sum(quantity) FROM order_items GROUP BY sku;
INSERT INTO product_search SELECT sku, title FROM products;
