// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

/// @title BenchToken
/// @notice Minimal standard ERC-20 (18 decimals, fixed supply minted once to `holder`), one of
///         the fee benchmark's workloads. Not part of the rollup protocol.
/// @dev Semantics and custom errors follow OpenZeppelin ERC20 v5: transfers (and the mint) to
///      address(0) and approvals of address(0) revert, `transferFrom` spends the allowance before
///      moving the tokens, an allowance of `type(uint256).max` is infinite (never decreased) and
///      spending an allowance emits no `Approval`.
contract BenchToken {
    string internal _name;
    string internal _symbol;
    uint256 internal _totalSupply;
    mapping(address => uint256) internal _balances;
    mapping(address => mapping(address => uint256)) internal _allowances;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice `sender` holds `balance`, less than the `needed` amount.
    error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
    /// @notice `spender` may spend `allowance`, less than the `needed` amount.
    error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
    /// @notice Tokens cannot be sent (or minted) to `receiver`, address(0).
    error ERC20InvalidReceiver(address receiver);
    /// @notice `spender`, address(0), cannot be approved.
    error ERC20InvalidSpender(address spender);

    /// @param name Token name.
    /// @param symbol Token symbol.
    /// @param holder Receives the whole `supply`.
    /// @param supply Total supply, in the smallest unit (18 decimals).
    constructor(string memory name, string memory symbol, address holder, uint256 supply) {
        if (holder == address(0)) revert ERC20InvalidReceiver(address(0));
        _name = name;
        _symbol = symbol;
        _totalSupply = supply;
        _balances[holder] = supply;
        emit Transfer(address(0), holder, supply);
    }

    function name() external view returns (string memory) {
        return _name;
    }

    function symbol() external view returns (string memory) {
        return _symbol;
    }

    function decimals() external pure returns (uint8) {
        return 18;
    }

    function totalSupply() external view returns (uint256) {
        return _totalSupply;
    }

    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    function allowance(address owner, address spender) external view returns (uint256) {
        return _allowances[owner][spender];
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        if (spender == address(0)) revert ERC20InvalidSpender(address(0));
        _allowances[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = _allowances[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < value) revert ERC20InsufficientAllowance(msg.sender, allowed, value);
            unchecked {
                _allowances[from][msg.sender] = allowed - value;
            }
        }
        _transfer(from, to, value);
        return true;
    }

    function _transfer(address from, address to, uint256 value) private {
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        uint256 balance = _balances[from];
        if (balance < value) revert ERC20InsufficientBalance(from, balance, value);
        unchecked {
            // Cannot overflow: the balances sum to `_totalSupply`.
            _balances[from] = balance - value;
            _balances[to] += value;
        }
        emit Transfer(from, to, value);
    }
}
