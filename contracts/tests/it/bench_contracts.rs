//! BenchToken and BenchPool, the fee benchmark's workload contracts: ERC-20 transfers,
//! approvals and `transferFrom` (with OpenZeppelin's errors), pool liquidity and constant-product
//! swaps in both directions, and gas ceilings of the benchmarked transactions.

use alloy_primitives::{Address, U256};
use rollup_contracts::{BenchPool, BenchToken};

use crate::evm::{Chain, ETHER, Receipt, account, wei};

/// Supply of each test token, all minted to `alice`.
const SUPPLY: u128 = 1_000_000 * ETHER;

/// Two tokens and a pool of them; `alice` holds both supplies, `bob` and `carol` hold nothing.
struct Bench {
    chain: Chain,
    alice: Address,
    bob: Address,
    carol: Address,
    t0: Address,
    t1: Address,
    pool: Address,
}

impl Bench {
    fn deploy() -> Self {
        let mut chain = Chain::new();
        let (deployer, alice, bob, carol) =
            (account(0xd0), account(0xa1), account(0xb0), account(0xc0));
        for who in [deployer, alice, bob, carol] {
            chain.fund(who, wei(1_000 * ETHER));
        }
        let t0 = deploy_token(&mut chain, deployer, "Token Zero", "TK0", alice, wei(SUPPLY));
        let t1 = deploy_token(&mut chain, deployer, "Token One", "TK1", alice, wei(SUPPLY));
        let pool = chain.deploy(
            deployer,
            &BenchPool::BYTECODE,
            BenchPool::constructorCall { token0: t0, token1: t1 },
        );
        Self { chain, alice, bob, carol, t0, t1, pool }
    }

    fn transfer(&mut self, token: Address, from: Address, to: Address, value: U256) -> Receipt {
        self.chain.call(from, token, U256::ZERO, BenchToken::transferCall { to, value })
    }

    fn approve(
        &mut self,
        token: Address,
        owner: Address,
        spender: Address,
        value: U256,
    ) -> Receipt {
        self.chain.call(owner, token, U256::ZERO, BenchToken::approveCall { spender, value })
    }

    fn transfer_from(
        &mut self,
        token: Address,
        spender: Address,
        from: Address,
        to: Address,
        value: U256,
    ) -> Receipt {
        self.chain.call(
            spender,
            token,
            U256::ZERO,
            BenchToken::transferFromCall { from, to, value },
        )
    }

    fn balance(&mut self, token: Address, account: Address) -> U256 {
        self.chain.view(token, BenchToken::balanceOfCall { account })
    }

    fn allowance(&mut self, token: Address, owner: Address, spender: Address) -> U256 {
        self.chain.view(token, BenchToken::allowanceCall { owner, spender })
    }

    fn reserves(&mut self) -> (U256, U256) {
        let r = self.chain.view(self.pool, BenchPool::getReservesCall {});
        (r.reserve0, r.reserve1)
    }

    fn add_liquidity(&mut self, who: Address, amount0: U256, amount1: U256) -> Receipt {
        self.chain.call(
            who,
            self.pool,
            U256::ZERO,
            BenchPool::addLiquidityCall { amount0, amount1 },
        )
    }

    fn swap(
        &mut self,
        who: Address,
        token_in: Address,
        amount_in: U256,
        min_out: U256,
        to: Address,
    ) -> Receipt {
        self.chain.call(
            who,
            self.pool,
            U256::ZERO,
            BenchPool::swapExactInCall {
                tokenIn: token_in,
                amountIn: amount_in,
                minOut: min_out,
                to,
            },
        )
    }

    /// `alice` approves the pool for both tokens (infinitely) and seeds it.
    fn seed_pool(&mut self, amount0: U256, amount1: U256) {
        let (alice, pool, t0, t1) = (self.alice, self.pool, self.t0, self.t1);
        self.approve(t0, alice, pool, U256::MAX).success();
        self.approve(t1, alice, pool, U256::MAX).success();
        self.add_liquidity(alice, amount0, amount1).success();
    }
}

fn deploy_token(
    chain: &mut Chain,
    deployer: Address,
    name: &str,
    symbol: &str,
    holder: Address,
    supply: U256,
) -> Address {
    chain.deploy(
        deployer,
        &BenchToken::BYTECODE,
        BenchToken::constructorCall {
            name: name.to_owned(),
            symbol: symbol.to_owned(),
            holder,
            supply,
        },
    )
}

/// The constant-product output with the 0.3% fee, computed independently of the contract.
fn expected_out(amount_in: U256, reserve_in: U256, reserve_out: U256) -> U256 {
    let in_with_fee = amount_in * U256::from(997);
    in_with_fee * reserve_out / (reserve_in * U256::from(1000) + in_with_fee)
}

#[test]
fn token_metadata_and_initial_supply() {
    let mut b = Bench::deploy();
    let t0 = b.t0;
    assert_eq!(b.chain.view(t0, BenchToken::nameCall {}), "Token Zero");
    assert_eq!(b.chain.view(t0, BenchToken::symbolCall {}), "TK0");
    assert_eq!(b.chain.view(t0, BenchToken::decimalsCall {}), 18);
    assert_eq!(b.chain.view(t0, BenchToken::totalSupplyCall {}), wei(SUPPLY));
    let (alice, bob) = (b.alice, b.bob);
    assert_eq!(b.balance(t0, alice), wei(SUPPLY));
    assert_eq!(b.balance(t0, bob), U256::ZERO);
    assert_eq!(b.allowance(t0, alice, bob), U256::ZERO);

    // The whole supply goes to `holder`, which must not be address(0).
    let deployer = account(0xd0);
    let err = b
        .chain
        .try_deploy(
            deployer,
            &BenchToken::BYTECODE,
            BenchToken::constructorCall {
                name: "X".into(),
                symbol: "X".into(),
                holder: Address::ZERO,
                supply: wei(1),
            },
        )
        .reverted_with::<BenchToken::ERC20InvalidReceiver>();
    assert_eq!(err.receiver, Address::ZERO);
}

#[test]
fn transfer_moves_balances_and_emits() {
    let mut b = Bench::deploy();
    let (t0, alice, bob) = (b.t0, b.alice, b.bob);
    let receipt = b.transfer(t0, alice, bob, wei(5 * ETHER));
    assert!(receipt.returns::<BenchToken::transferCall>());
    let event = receipt.event::<BenchToken::Transfer>(t0);
    assert_eq!((event.from, event.to, event.value), (alice, bob, wei(5 * ETHER)));
    assert_eq!(b.balance(t0, alice), wei(SUPPLY - 5 * ETHER));
    assert_eq!(b.balance(t0, bob), wei(5 * ETHER));
    assert_eq!(b.chain.view(t0, BenchToken::totalSupplyCall {}), wei(SUPPLY));

    // Zero-value and self transfers are fine and change nothing.
    b.transfer(t0, bob, alice, U256::ZERO).success();
    b.transfer(t0, bob, bob, wei(2 * ETHER)).success();
    assert_eq!(b.balance(t0, bob), wei(5 * ETHER));

    // More than the balance.
    let err = b
        .transfer(t0, bob, alice, wei(5 * ETHER + 1))
        .reverted_with::<BenchToken::ERC20InsufficientBalance>();
    assert_eq!((err.sender, err.balance, err.needed), (bob, wei(5 * ETHER), wei(5 * ETHER + 1)));
    // To address(0) (no burning through transfer).
    let err = b
        .transfer(t0, bob, Address::ZERO, wei(1))
        .reverted_with::<BenchToken::ERC20InvalidReceiver>();
    assert_eq!(err.receiver, Address::ZERO);
    assert_eq!(b.balance(t0, bob), wei(5 * ETHER));
    assert_eq!(b.balance(t0, alice), wei(SUPPLY - 5 * ETHER));
}

#[test]
fn approve_and_transfer_from() {
    let mut b = Bench::deploy();
    let (t0, alice, bob, carol) = (b.t0, b.alice, b.bob, b.carol);

    let receipt = b.approve(t0, alice, bob, wei(10 * ETHER));
    assert!(receipt.returns::<BenchToken::approveCall>());
    let event = receipt.event::<BenchToken::Approval>(t0);
    assert_eq!((event.owner, event.spender, event.value), (alice, bob, wei(10 * ETHER)));
    assert_eq!(b.allowance(t0, alice, bob), wei(10 * ETHER));
    assert_eq!(b.allowance(t0, bob, alice), U256::ZERO);

    // bob spends part of the allowance, sending to carol; no Approval on spending.
    let receipt = b.transfer_from(t0, bob, alice, carol, wei(4 * ETHER));
    assert!(receipt.returns::<BenchToken::transferFromCall>());
    let event = receipt.event::<BenchToken::Transfer>(t0);
    assert_eq!((event.from, event.to, event.value), (alice, carol, wei(4 * ETHER)));
    assert_eq!(receipt.logs().len(), 1, "spending an allowance emits only Transfer");
    assert_eq!(b.allowance(t0, alice, bob), wei(6 * ETHER));
    assert_eq!(b.balance(t0, carol), wei(4 * ETHER));
    assert_eq!(b.balance(t0, alice), wei(SUPPLY - 4 * ETHER));

    // Over the allowance.
    let err = b
        .transfer_from(t0, bob, alice, carol, wei(6 * ETHER + 1))
        .reverted_with::<BenchToken::ERC20InsufficientAllowance>();
    assert_eq!((err.spender, err.allowance, err.needed), (bob, wei(6 * ETHER), wei(6 * ETHER + 1)));
    // Without any allowance.
    let err = b
        .transfer_from(t0, carol, alice, carol, wei(1))
        .reverted_with::<BenchToken::ERC20InsufficientAllowance>();
    assert_eq!((err.spender, err.allowance, err.needed), (carol, U256::ZERO, wei(1)));
    // Within the allowance but over the owner's balance.
    b.approve(t0, carol, bob, wei(100 * ETHER)).success();
    let err = b
        .transfer_from(t0, bob, carol, alice, wei(4 * ETHER + 1))
        .reverted_with::<BenchToken::ERC20InsufficientBalance>();
    assert_eq!((err.sender, err.balance, err.needed), (carol, wei(4 * ETHER), wei(4 * ETHER + 1)));
    assert_eq!(
        b.allowance(t0, carol, bob),
        wei(100 * ETHER),
        "a failed transferFrom spends nothing"
    );
    // To address(0).
    b.transfer_from(t0, bob, alice, Address::ZERO, wei(1))
        .reverted_with::<BenchToken::ERC20InvalidReceiver>();

    // Approving overwrites; approving address(0) is invalid.
    b.approve(t0, alice, bob, wei(1)).success();
    assert_eq!(b.allowance(t0, alice, bob), wei(1));
    let err = b
        .approve(t0, alice, Address::ZERO, wei(1))
        .reverted_with::<BenchToken::ERC20InvalidSpender>();
    assert_eq!(err.spender, Address::ZERO);
}

#[test]
fn infinite_allowance_is_not_decreased() {
    let mut b = Bench::deploy();
    let (t0, alice, bob) = (b.t0, b.alice, b.bob);
    b.approve(t0, alice, bob, U256::MAX).success();
    for _ in 0..3 {
        let receipt = b.transfer_from(t0, bob, alice, bob, wei(7 * ETHER));
        assert_eq!(receipt.logs().len(), 1, "only Transfer");
        assert_eq!(b.allowance(t0, alice, bob), U256::MAX);
    }
    assert_eq!(b.balance(t0, bob), wei(21 * ETHER));
    // Just below the maximum, the allowance is spent normally.
    b.approve(t0, alice, bob, U256::MAX - wei(1)).success();
    b.transfer_from(t0, bob, alice, bob, wei(ETHER)).success();
    assert_eq!(b.allowance(t0, alice, bob), U256::MAX - wei(1 + ETHER));
}

#[test]
fn pool_constructor_validates_tokens() {
    let mut b = Bench::deploy();
    let (t0, t1) = (b.t0, b.t1);
    assert_eq!(b.chain.view(b.pool, BenchPool::token0Call {}), t0);
    assert_eq!(b.chain.view(b.pool, BenchPool::token1Call {}), t1);
    assert_eq!(b.reserves(), (U256::ZERO, U256::ZERO));
    let deployer = account(0xd0);
    for (token0, token1, bad) in
        [(t0, t0, t0), (Address::ZERO, t1, Address::ZERO), (t0, Address::ZERO, Address::ZERO)]
    {
        let err = b
            .chain
            .try_deploy(
                deployer,
                &BenchPool::BYTECODE,
                BenchPool::constructorCall { token0, token1 },
            )
            .reverted_with::<BenchPool::InvalidToken>();
        assert_eq!(err.token, bad);
    }
}

#[test]
fn add_liquidity_pulls_tokens_and_credits_shares() {
    let mut b = Bench::deploy();
    let (t0, t1, pool, alice, bob) = (b.t0, b.t1, b.pool, b.alice, b.bob);

    // Nothing approved yet: the token's error bubbles up.
    b.add_liquidity(alice, wei(ETHER), wei(ETHER))
        .reverted_with::<BenchToken::ERC20InsufficientAllowance>();

    // First provider: shares = amount0.
    b.approve(t0, alice, pool, U256::MAX).success();
    b.approve(t1, alice, pool, U256::MAX).success();
    let receipt = b.add_liquidity(alice, wei(1_000 * ETHER), wei(2_000 * ETHER));
    assert_eq!(receipt.returns::<BenchPool::addLiquidityCall>(), wei(1_000 * ETHER));
    let event = receipt.event::<BenchPool::LiquidityAdded>(pool);
    assert_eq!(
        (event.provider, event.amount0, event.amount1, event.shares),
        (alice, wei(1_000 * ETHER), wei(2_000 * ETHER), wei(1_000 * ETHER))
    );
    let transfers = receipt.event::<BenchToken::Transfer>(t1);
    assert_eq!((transfers.from, transfers.to), (alice, pool));
    assert_eq!(b.reserves(), (wei(1_000 * ETHER), wei(2_000 * ETHER)));
    assert_eq!(b.balance(t0, pool), wei(1_000 * ETHER));
    assert_eq!(b.balance(t1, pool), wei(2_000 * ETHER));
    assert_eq!(b.balance(t0, alice), wei(SUPPLY - 1_000 * ETHER));
    assert_eq!(b.chain.view(pool, BenchPool::sharesCall { provider: alice }), wei(1_000 * ETHER));
    assert_eq!(b.chain.view(pool, BenchPool::totalSharesCall {}), wei(1_000 * ETHER));

    // A later provider gets shares in proportion, the smaller of the two ratios.
    for token in [t0, t1] {
        b.transfer(token, alice, bob, wei(500 * ETHER)).success();
        b.approve(token, bob, pool, wei(500 * ETHER)).success();
    }
    let receipt = b.add_liquidity(bob, wei(100 * ETHER), wei(300 * ETHER));
    // min(100 * 1000 / 1000, 300 * 1000 / 2000) = min(100, 150).
    assert_eq!(receipt.returns::<BenchPool::addLiquidityCall>(), wei(100 * ETHER));
    assert_eq!(b.chain.view(pool, BenchPool::sharesCall { provider: bob }), wei(100 * ETHER));
    assert_eq!(b.chain.view(pool, BenchPool::totalSharesCall {}), wei(1_100 * ETHER));
    assert_eq!(b.reserves(), (wei(1_100 * ETHER), wei(2_300 * ETHER)));
    assert_eq!(b.balance(t0, pool), wei(1_100 * ETHER));
    assert_eq!(b.balance(t1, pool), wei(2_300 * ETHER));
    assert_eq!(b.allowance(t1, bob, pool), wei(200 * ETHER));

    // Zero amounts, and deposits too small for one share.
    b.add_liquidity(bob, U256::ZERO, wei(ETHER)).reverted_with::<BenchPool::ZeroAmount>();
    b.add_liquidity(bob, wei(ETHER), U256::ZERO).reverted_with::<BenchPool::ZeroAmount>();
    b.add_liquidity(bob, wei(1), wei(1)).reverted_with::<BenchPool::ZeroShares>();
}

#[test]
fn swaps_follow_the_constant_product_in_both_directions() {
    let mut b = Bench::deploy();
    let (t0, t1, pool, alice, bob, carol) = (b.t0, b.t1, b.pool, b.alice, b.bob, b.carol);
    b.seed_pool(wei(1_000 * ETHER), wei(2_000 * ETHER));
    b.transfer(t0, alice, bob, wei(100 * ETHER)).success();
    b.approve(t0, bob, pool, U256::MAX).success();

    // token0 -> token1, paid to carol.
    let amount_in = wei(10 * ETHER);
    let (r0, r1) = b.reserves();
    let out = expected_out(amount_in, r0, r1);
    assert_eq!(
        b.chain.view(pool, BenchPool::getAmountOutCall { tokenIn: t0, amountIn: amount_in }),
        out
    );
    let receipt = b.swap(bob, t0, amount_in, out, carol);
    assert_eq!(receipt.returns::<BenchPool::swapExactInCall>(), out);
    let event = receipt.event::<BenchPool::Swap>(pool);
    assert_eq!(
        (event.sender, event.tokenIn, event.amountIn, event.amountOut, event.to),
        (bob, t0, amount_in, out, carol)
    );
    assert_eq!(b.reserves(), (r0 + amount_in, r1 - out));
    assert_eq!(b.balance(t0, bob), wei(90 * ETHER));
    assert_eq!(b.balance(t1, carol), out);
    assert_eq!(b.balance(t0, pool), r0 + amount_in);
    assert_eq!(b.balance(t1, pool), r1 - out);
    // 10 in at 1:2 with the fee: 19.74... out.
    assert!(out > wei(19 * ETHER) && out < wei(20 * ETHER), "{out}");

    // token1 -> token0, carol swaps what she got back.
    b.approve(t1, carol, pool, out).success();
    let (r0, r1) = b.reserves();
    let back = expected_out(out, r1, r0);
    assert_eq!(
        b.chain.view(pool, BenchPool::getAmountOutCall { tokenIn: t1, amountIn: out }),
        back
    );
    let receipt = b.swap(carol, t1, out, U256::ZERO, carol);
    assert_eq!(receipt.returns::<BenchPool::swapExactInCall>(), back);
    let event = receipt.event::<BenchPool::Swap>(pool);
    assert_eq!((event.tokenIn, event.amountIn, event.amountOut), (t1, out, back));
    assert_eq!(b.reserves(), (r0 - back, r1 + out));
    assert_eq!(b.balance(t1, carol), U256::ZERO);
    assert_eq!(b.balance(t0, carol), back);
    // The round trip pays the fee twice: less than the 10 put in.
    assert!(back < amount_in);
    assert_eq!(b.balance(t0, pool), r0 - back);
    assert_eq!(b.balance(t1, pool), r1 + out);

    // The fee only ever grows k.
    let (f0, f1) = b.reserves();
    assert!(f0 * f1 > wei(1_000 * ETHER) * wei(2_000 * ETHER));
}

#[test]
fn swap_reverts() {
    let mut b = Bench::deploy();
    let (t0, t1, pool, alice, bob) = (b.t0, b.t1, b.pool, b.alice, b.bob);

    // Empty pool.
    b.approve(t0, alice, pool, U256::MAX).success();
    b.swap(alice, t0, wei(ETHER), U256::ZERO, alice)
        .reverted_with::<BenchPool::InsufficientLiquidity>();
    b.chain
        .try_view(pool, BenchPool::getAmountOutCall { tokenIn: t0, amountIn: wei(ETHER) })
        .reverted_with::<BenchPool::InsufficientLiquidity>();

    b.seed_pool(wei(1_000 * ETHER), wei(1_000 * ETHER));
    let before = b.reserves();

    // Slippage: one wei more than the exact output.
    let out = expected_out(wei(ETHER), before.0, before.1);
    let err = b
        .swap(alice, t0, wei(ETHER), out + wei(1), bob)
        .reverted_with::<BenchPool::SlippageExceeded>();
    assert_eq!((err.amountOut, err.minOut), (out, out + wei(1)));

    // Not a pool token, zero input, an output that rounds down to zero.
    let err =
        b.swap(alice, bob, wei(ETHER), U256::ZERO, bob).reverted_with::<BenchPool::InvalidToken>();
    assert_eq!(err.token, bob);
    b.chain
        .try_view(pool, BenchPool::getAmountOutCall { tokenIn: bob, amountIn: wei(ETHER) })
        .reverted_with::<BenchPool::InvalidToken>();
    b.swap(alice, t1, U256::ZERO, U256::ZERO, bob).reverted_with::<BenchPool::ZeroAmount>();
    b.swap(alice, t0, wei(1), U256::ZERO, bob).reverted_with::<BenchPool::InsufficientLiquidity>();

    // Input not approved / not held: the token's errors bubble up.
    b.swap(bob, t0, wei(ETHER), U256::ZERO, bob)
        .reverted_with::<BenchToken::ERC20InsufficientAllowance>();
    b.approve(t1, bob, pool, U256::MAX).success();
    b.swap(bob, t1, wei(ETHER), U256::ZERO, bob)
        .reverted_with::<BenchToken::ERC20InsufficientBalance>();

    // Nothing moved.
    assert_eq!(b.reserves(), before);
    assert_eq!(b.balance(t0, bob), U256::ZERO);
    assert_eq!(b.balance(t1, bob), U256::ZERO);
    assert_eq!(b.balance(t0, pool), before.0);
}

#[test]
fn benchmarked_transactions_stay_under_their_gas_ceilings() {
    let mut b = Bench::deploy();
    let (t0, t1, alice, bob) = (b.t0, b.t1, b.alice, b.bob);
    b.seed_pool(wei(1_000 * ETHER), wei(1_000 * ETHER));
    b.transfer(t0, alice, bob, wei(100 * ETHER)).success();
    b.transfer(t1, alice, bob, wei(100 * ETHER)).success();

    // A token transfer to an account that already holds the token.
    let receipt = b.transfer(t0, alice, bob, wei(ETHER));
    receipt.success();
    assert!(receipt.gas_used() < 60_000, "token transfer used {} gas", receipt.gas_used());

    // Swaps by a trader holding both tokens (infinite approvals), paying out to themselves.
    let pool = b.pool;
    b.approve(t0, bob, pool, U256::MAX).success();
    b.approve(t1, bob, pool, U256::MAX).success();
    for token_in in [t0, t1] {
        let receipt = b.swap(bob, token_in, wei(ETHER), U256::ZERO, bob);
        receipt.success();
        assert!(receipt.gas_used() < 130_000, "swap used {} gas", receipt.gas_used());
    }
}
